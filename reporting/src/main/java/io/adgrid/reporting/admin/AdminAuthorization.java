package io.adgrid.reporting.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The admin bearer token, checked once for every {@code /api/v1/admin/**} endpoint before its
 * handler runs: before path ids, parameters or a body are read, so a request without the token
 * learns nothing and costs nothing.
 */
public class AdminAuthorization implements HandlerInterceptor, WebMvcConfigurer {

    static final String PATHS = "/api/v1/admin/**";
    private static final byte[] REFUSAL = "{\"status\":401,\"error\":\"unauthorized\",\"reason\":\"send Authorization: Bearer <admin token>\"}"
            .getBytes(StandardCharsets.UTF_8);

    private final AdminToken token;

    public AdminAuthorization(AdminToken token) {
        this.token = token;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this).addPathPatterns(PATHS);
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) throws IOException {
        if (token.allows(request.getHeader(HttpHeaders.AUTHORIZATION))) {
            return true;
        }
        response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        response.setContentLength(REFUSAL.length);
        response.getOutputStream().write(REFUSAL);
        return false;
    }
}
